//! An HDFS client (hdfs-native) for the cluster's nameservice, configured from the model
//! rather than from files, so it works from the controlling machine.

use std::collections::HashMap;

use hdfs_native::{Client, ClientBuilder};

use crate::model::{Cluster, Endpoints, Role};

/// The client's Hadoop properties: the nameservice's NameNodes by address, quick failover.
pub fn client_config(c: &Cluster) -> (String, HashMap<String, String>) {
    let mut conf = HashMap::new();
    let url = match &c.hdfs.nameservice {
        Some(ns) => {
            let nns: Vec<_> = c.with_role(Role::NameNode).collect();
            conf.insert(
                format!("dfs.ha.namenodes.{ns}"),
                nns.iter().map(|h| h.name.clone()).collect::<Vec<_>>().join(","),
            );
            for nn in &nns {
                conf.insert(
                    format!("dfs.namenode.rpc-address.{ns}.{}", nn.name),
                    format!("{}:{}", nn.address, nn.ports.namenode_rpc),
                );
            }
            format!("hdfs://{ns}")
        }
        None => {
            c.one(Role::NameNode).map_or(String::new(), |nn| format!("hdfs://{}:{}", nn.address, nn.ports.namenode_rpc))
        }
    };
    // DataNodes register their host names; on one machine those are their addresses, which
    // the controller can reach (on VMs it reaches the addresses the connections came from).
    conf.insert("dfs.client.use.datanode.hostname".into(), (c.endpoints == Endpoints::Address).to_string());
    conf.insert("dfs.client.failover.sleep.base.millis".into(), "100".into());
    conf.insert("dfs.client.failover.sleep.max.millis".into(), "2000".into());
    conf.insert("dfs.client.failover.max.attempts".into(), "30".into());
    (url, conf)
}

/// A client of the cluster's HDFS through its nameservice, as the crawler's user.
pub fn client(c: &Cluster) -> hdfs_native::Result<Client> {
    let (url, conf) = client_config(c);
    ClientBuilder::new()
        .with_url(url)
        .with_config(conf)
        // Only the properties above: never a stray HADOOP_CONF_DIR of the controlling machine.
        .with_config_dir("/nonexistent/provision")
        // The pipeline's own identity in HDFS, wherever it runs: the landing root is its user's.
        .with_user(c.users.crawler.to_string())
        .build()
}

/// Writes `data` to `path`, replacing what is there; safe to retry.
pub async fn write_all(client: &Client, path: &str, data: bytes::Bytes) -> hdfs_native::Result<()> {
    let mut w = client.create(path, hdfs_native::WriteOptions::default().overwrite(true)).await?;
    w.write_bytes(data).await?;
    w.close().await
}

/// The whole contents of `path`.
pub async fn read_all(client: &Client, path: &str) -> hdfs_native::Result<bytes::Bytes> {
    let reader = client.read(path).await?;
    reader.read_range(0, reader.file_length()).await
}
