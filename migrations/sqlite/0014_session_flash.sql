-- What the session's next page shows once after a form (POST-redirect-GET): a notice and the
-- result per item of a bulk action, as JSON text. Read and cleared by that page.
ALTER TABLE sessions ADD COLUMN flash TEXT;
