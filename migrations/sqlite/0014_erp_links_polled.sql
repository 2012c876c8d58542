-- When the Odoo poller last looked at a linked record by its id (NULL: not yet). A sale
-- order confirmed before Wharf committed its link (the profile's own confirmation, or a
-- quick sales person) is passed over by the write_date cursor, which may then move beyond
-- it; each new link is therefore looked at once by id. Links made before this migration were
-- seen by the cursor already.
ALTER TABLE erp_links ADD COLUMN polled_at BIGINT;
UPDATE erp_links SET polled_at = created_at;
CREATE INDEX erp_links_unpolled ON erp_links (model, odoo_id) WHERE polled_at IS NULL;
