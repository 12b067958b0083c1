-- Rendered by provision for nn01 of cluster gmarket; edit the inventory, not this file.
ALTER USER 'root'@'localhost' IDENTIFIED BY 'golden-metastore-root-pw';
