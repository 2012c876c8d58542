-- The ERP records Wharf made for a partner's documents (a sale order per PO), so the poller
-- can tell which Odoo records are EDI partners' and what they came from; and the pollers'
-- cursors (the last write_date seen per kind of event).
CREATE TABLE erp_links (
    model       TEXT   NOT NULL,
    odoo_id     BIGINT NOT NULL,
    partner     TEXT   NOT NULL,
    doc_key     TEXT   NOT NULL,
    message_id  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (model, odoo_id)
);
CREATE INDEX erp_links_partner ON erp_links (partner, doc_key);
CREATE TABLE erp_cursors (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
