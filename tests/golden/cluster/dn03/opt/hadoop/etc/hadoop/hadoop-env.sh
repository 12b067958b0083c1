# Rendered by provision for dn03 of cluster gmarket; edit the inventory, not this file.
# Sourced by Hadoop's scripts (hdfs, yarn, hadoop), also over non-interactive SSH.
export JAVA_HOME='/usr/lib/jvm/jre-1.8.0-openjdk'
export HADOOP_HOME='/opt/hadoop'
export HADOOP_CONF_DIR='/opt/hadoop/etc/hadoop'
export HADOOP_LOG_DIR='/var/log/hadoop'
export HADOOP_PID_DIR='/var/log/hadoop/run'
export HADOOP_OPTS='-Djava.net.preferIPv4Stack=true'
export HDFS_DATANODE_OPTS='-Xmx512m'
export YARN_NODEMANAGER_OPTS='-Xmx512m'
