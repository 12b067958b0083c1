-- Rendered by provision for cluster gmarket; edit the inventory, not this file.
-- Creates the Hive metastore database and its user; safe to run again.
CREATE DATABASE IF NOT EXISTS `metastore`;
CREATE USER IF NOT EXISTS 'hive'@'192.168.56.100' IDENTIFIED BY 'golden-metastore-pw';
ALTER USER 'hive'@'192.168.56.100' IDENTIFIED BY 'golden-metastore-pw';
GRANT ALL PRIVILEGES ON `metastore`.* TO 'hive'@'192.168.56.100';
FLUSH PRIVILEGES;
