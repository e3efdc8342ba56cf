-- The services' login role: a member of resonance_app (created by `resonance migrate`) that owns no table, so
-- the row-level security policies bind it. Run as the table owner after the migration, with
--   psql -v role=resonance_api -v password_file=/run/secrets/api_db_password -f app-role.sql
-- psql reads the password from the file itself: it is in no command line. Safe to run again: an existing role
-- gets the file's password (which is how it is rotated).
\set ON_ERROR_STOP on
\set password `cat :'password_file'`
SELECT format(
    CASE WHEN EXISTS (SELECT FROM pg_roles WHERE rolname = :'role')
        THEN 'ALTER ROLE %I LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD %L'
        ELSE 'CREATE ROLE %I LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD %L'
    END,
    :'role', :'password'
) \gexec
GRANT resonance_app TO :"role";
\unset password
