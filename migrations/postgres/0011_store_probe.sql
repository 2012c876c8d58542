-- One row, rewritten by /healthz while writes fail: proves the store can write again.
CREATE TABLE store_probe (id INTEGER PRIMARY KEY, at BIGINT NOT NULL);
