-- The change feed of auto-replan: the latest audit row per entity kind.
CREATE INDEX audit_entity_kind_idx ON audit_log (entity, at);
