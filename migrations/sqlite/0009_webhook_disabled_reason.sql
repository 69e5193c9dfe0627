-- Why a subscription was disabled: its receiver answered 410 Gone, or the API key that created it
-- was revoked (a revoked key's subscriptions stop receiving, like its calendar feeds).
ALTER TABLE webhooks ADD COLUMN disabled_reason TEXT;
