-- A partner's page asks for the last dry run of a test file (action, target) on every view;
-- the audit log only grows, so that lookup must not scan it.
CREATE INDEX audit_action_target ON audit (action, target, id);
