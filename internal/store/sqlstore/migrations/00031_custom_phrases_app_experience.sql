-- The sign-in experience's custom phrases (Logto's custom_phrases: one
-- translation document per language tag, a JSON object of phrase keys) and
-- each application's own branding (Logto's application_sign_in_experiences:
-- one JSON document per application, dropped with it). Portable as 00001.

-- +goose Up
CREATE TABLE custom_phrases (
    language_tag TEXT PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    translation  TEXT NOT NULL
);
CREATE TABLE application_sign_in_experiences (
    app_id   TEXT PRIMARY KEY REFERENCES applications (id) ON DELETE CASCADE,
    document TEXT NOT NULL
);

-- +goose Down
DROP TABLE application_sign_in_experiences;
DROP TABLE custom_phrases;
