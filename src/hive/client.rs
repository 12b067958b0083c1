//! A HiveServer2 client over its Thrift protocol (TCLIService, binary transport with SASL
//! PLAIN, as HiveServer2 speaks with `hive.server2.authentication=NONE`). Blocking: callers in
//! async code run it on a blocking thread.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use hive::service::rpc::thrift::transport::{
    TSaslClientReadTransport, TSaslClientTransport, TSaslClientWriteTransport,
};
use hive::service::rpc::thrift::{
    TCLIServiceSyncClient, TCloseOperationReq, TCloseSessionReq, TColumn, TExecuteStatementReq, TFetchOrientation,
    TFetchResultsReq, TGetOperationStatusReq, TGetResultSetMetadataReq, TOpenSessionReq, TOperationHandle,
    TOperationState, TProtocolVersion, TSessionHandle, TStatus, TStatusCode, TTCLIServiceSyncClient,
};
use thrift::protocol::{TBinaryInputProtocol, TBinaryOutputProtocol};
use thrift::transport::TTcpChannel;

type Client = TCLIServiceSyncClient<
    TBinaryInputProtocol<TSaslClientReadTransport>,
    TBinaryOutputProtocol<TSaslClientWriteTransport>,
>;

/// A failure talking to HiveServer2, or a statement Hive refused.
#[derive(Debug, thiserror::Error)]
pub enum HiveError {
    /// Connecting, or the connection broke.
    #[error("HiveServer2 at {addr}: {message}")]
    Connection {
        /// Where HiveServer2 was expected.
        addr: String,
        /// What went wrong.
        message: String,
    },
    /// Hive ran the statement and refused it: its own message.
    #[error("Hive refused the statement: {message}")]
    Statement {
        /// Hive's message, as Hive wrote it.
        message: String,
    },
    /// The statement ran longer than allowed.
    #[error("the statement did not finish within {0:?}")]
    Timeout(Duration),
}

/// One row of a result, each value as text (`None` for NULL).
pub type Row = Vec<Option<String>>;

/// An open HiveServer2 session.
pub struct Session {
    client: Client,
    handle: TSessionHandle,
    addr: String,
}

fn connection(addr: &str) -> impl Fn(String) -> HiveError + '_ {
    move |message| HiveError::Connection { addr: addr.to_string(), message }
}

/// Hive's message of a status that is not a success, if any.
fn refused(status: &TStatus) -> Option<String> {
    match status.status_code {
        TStatusCode::SUCCESS_STATUS | TStatusCode::SUCCESS_WITH_INFO_STATUS | TStatusCode::STILL_EXECUTING_STATUS => {
            None
        }
        _ => Some(status.error_message.clone().unwrap_or_else(|| format!("status {:?}", status.status_code))),
    }
}

impl Session {
    /// Opens a session at `addr` (host:port) as `user`; `timeout` bounds the connection and
    /// every single call.
    pub fn open(addr: &str, user: &str, timeout: Duration) -> Result<Session, HiveError> {
        let err = connection(addr);
        let socket: SocketAddr =
            addr.to_socket_addrs().map_err(|e| err(e.to_string()))?.next().ok_or_else(|| err("no address".into()))?;
        let stream = TcpStream::connect_timeout(&socket, timeout).map_err(|e| err(e.to_string()))?;
        stream
            .set_read_timeout(Some(timeout))
            .and_then(|_| stream.set_write_timeout(Some(timeout)))
            .map_err(|e| err(e.to_string()))?;
        let _ = stream.set_nodelay(true);
        let transport = TSaslClientTransport::new(TTcpChannel::with_stream(stream), user.to_string(), b"-".to_vec())
            .open()
            .map_err(|e| err(format!("SASL handshake: {e}")))?;
        let (read, write) = transport.split().map_err(|e| err(e.to_string()))?;
        let mut client =
            TCLIServiceSyncClient::new(TBinaryInputProtocol::new(read, true), TBinaryOutputProtocol::new(write, true));
        let resp = client
            .open_session(TOpenSessionReq::new(
                TProtocolVersion::HIVE_CLI_SERVICE_PROTOCOL_V10,
                Some(user.to_string()),
                Some("-".to_string()),
                None,
            ))
            .map_err(|e| err(e.to_string()))?;
        if let Some(message) = refused(&resp.status) {
            return Err(err(format!("opening a session: {message}")));
        }
        let handle = resp.session_handle.ok_or_else(|| err("no session handle".into()))?;
        Ok(Session { client, handle, addr: addr.to_string() })
    }

    fn broken(&self, e: impl std::fmt::Display) -> HiveError {
        HiveError::Connection { addr: self.addr.clone(), message: e.to_string() }
    }

    /// Starts `sql` and waits until it finished, at most `timeout`.
    fn run(&mut self, sql: &str, timeout: Duration) -> Result<TOperationHandle, HiveError> {
        let resp = self
            .client
            .execute_statement(TExecuteStatementReq::new(self.handle.clone(), sql.to_string(), None, Some(true), None))
            .map_err(|e| self.broken(e))?;
        if let Some(message) = refused(&resp.status) {
            return Err(HiveError::Statement { message });
        }
        let op = resp.operation_handle.ok_or_else(|| self.broken("no operation handle"))?;
        let started = Instant::now();
        let mut pause = Duration::from_millis(20);
        loop {
            let status = self
                .client
                .get_operation_status(TGetOperationStatusReq::new(op.clone(), Some(false)))
                .map_err(|e| self.broken(e))?;
            if let Some(message) = refused(&status.status) {
                return Err(HiveError::Statement { message });
            }
            match status.operation_state {
                Some(TOperationState::FINISHED_STATE) => return Ok(op),
                Some(
                    TOperationState::ERROR_STATE
                    | TOperationState::CANCELED_STATE
                    | TOperationState::CLOSED_STATE
                    | TOperationState::TIMEDOUT_STATE,
                ) => {
                    let message = status
                        .error_message
                        .unwrap_or_else(|| format!("operation ended in state {:?}", status.operation_state));
                    return Err(HiveError::Statement { message });
                }
                _ => {}
            }
            if started.elapsed() > timeout {
                let _ = self.client.close_operation(TCloseOperationReq::new(op));
                return Err(HiveError::Timeout(timeout));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(500));
        }
    }

    /// Runs a statement that returns no rows.
    pub fn execute(&mut self, sql: &str, timeout: Duration) -> Result<(), HiveError> {
        let op = self.run(sql, timeout)?;
        let _ = self.client.close_operation(TCloseOperationReq::new(op));
        Ok(())
    }

    /// Runs a query; hands its rows to `sink` in batches of up to `batch` rows, after the
    /// column names. Returns the number of rows.
    pub fn query(
        &mut self,
        sql: &str,
        timeout: Duration,
        batch: i64,
        mut sink: impl FnMut(Batch) -> Result<(), String>,
    ) -> Result<u64, HiveError> {
        let op = self.run(sql, timeout)?;
        let meta = self
            .client
            .get_result_set_metadata(TGetResultSetMetadataReq::new(op.clone()))
            .map_err(|e| self.broken(e))?;
        let columns: Vec<String> =
            meta.schema.map(|s| s.columns.into_iter().map(|c| c.column_name).collect()).unwrap_or_default();
        let mut total = 0u64;
        loop {
            let resp = self
                .client
                .fetch_results(TFetchResultsReq::new(op.clone(), TFetchOrientation::FETCH_NEXT, batch, None))
                .map_err(|e| self.broken(e))?;
            if let Some(message) = refused(&resp.status) {
                return Err(HiveError::Statement { message });
            }
            let rows = resp.results.and_then(|r| r.columns).map(rows_of).unwrap_or_default();
            if rows.is_empty() {
                break;
            }
            total += rows.len() as u64;
            sink(Batch { columns: &columns, rows }).map_err(|message| HiveError::Statement { message })?;
        }
        let _ = self.client.close_operation(TCloseOperationReq::new(op));
        Ok(total)
    }

    /// Runs a query and returns all its rows.
    pub fn rows(&mut self, sql: &str, timeout: Duration) -> Result<Vec<Row>, HiveError> {
        let mut out = Vec::new();
        self.query(sql, timeout, 10_000, |b| {
            out.extend(b.rows);
            Ok(())
        })?;
        Ok(out)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.client.close_session(TCloseSessionReq::new(self.handle.clone()));
    }
}

/// Some rows of a result, with the result's column names.
pub struct Batch<'a> {
    /// The result's column names.
    pub columns: &'a [String],
    /// The rows.
    pub rows: Vec<Row>,
}

/// Whether value `i` of a column is NULL: bit `i % 8` of byte `i / 8`.
fn is_null(nulls: &[u8], i: usize) -> bool {
    nulls.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0)
}

fn texts<T>(values: Vec<T>, nulls: &[u8], show: impl Fn(T) -> String) -> Vec<Option<String>> {
    values.into_iter().enumerate().map(|(i, v)| if is_null(nulls, i) { None } else { Some(show(v)) }).collect()
}

/// The rows of a columnar result set, every value as text.
fn rows_of(columns: Vec<TColumn>) -> Vec<Row> {
    let columns: Vec<Vec<Option<String>>> = columns
        .into_iter()
        .map(|c| match c {
            TColumn::BoolVal(c) => texts(c.values, &c.nulls, |v| v.to_string()),
            TColumn::ByteVal(c) => texts(c.values, &c.nulls, |v| v.to_string()),
            TColumn::I16Val(c) => texts(c.values, &c.nulls, |v| v.to_string()),
            TColumn::I32Val(c) => texts(c.values, &c.nulls, |v| v.to_string()),
            TColumn::I64Val(c) => texts(c.values, &c.nulls, |v| v.to_string()),
            TColumn::DoubleVal(c) => texts(c.values, &c.nulls, |v| v.0.to_string()),
            TColumn::StringVal(c) => texts(c.values, &c.nulls, |v| v),
            TColumn::BinaryVal(c) => texts(c.values, &c.nulls, |v| String::from_utf8_lossy(&v).into_owned()),
        })
        .collect();
    let n = columns.first().map_or(0, Vec::len);
    let mut iters: Vec<_> = columns.into_iter().map(Vec::into_iter).collect();
    (0..n).map(|_| iters.iter_mut().map(|it| it.next().flatten()).collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hive::service::rpc::thrift::{TI32Column, TStringColumn};

    #[test]
    fn columns_become_rows_with_nulls_from_the_bitmap() {
        let rows = rows_of(vec![
            TColumn::I32Val(TI32Column::new(vec![1, 0, 3], vec![0b010])),
            TColumn::StringVal(TStringColumn::new(vec!["a".into(), "b,\"c\"".into(), String::new()], vec![0b100])),
        ]);
        assert_eq!(
            rows,
            vec![
                vec![Some("1".into()), Some("a".into())],
                vec![None, Some("b,\"c\"".into())],
                vec![Some("3".into()), None],
            ]
        );
    }

    #[test]
    fn nothing_listening_names_the_address() {
        let err = Session::open("127.0.0.1:9", "x", Duration::from_secs(2)).err().unwrap();
        assert!(err.to_string().starts_with("HiveServer2 at 127.0.0.1:9:"), "{err}");
    }
}
