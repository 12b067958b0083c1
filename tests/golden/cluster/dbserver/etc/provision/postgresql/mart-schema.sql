-- Rendered by provision for cluster gmarket; edit the inventory, not this file.
-- The data mart as the original kept it; run as dm_admin on database datamart. Safe to run again.
CREATE TABLE IF NOT EXISTS category_kind (
    ca_name text PRIMARY KEY,
    ca_code text NOT NULL UNIQUE
);
INSERT INTO category_kind (ca_code, ca_name) VALUES
    ('G01', '패션의류'),
    ('G02', '신발잡화'),
    ('G03', '화장품헤어'),
    ('G04', '유아동출산'),
    ('G05', '스포츠자동차'),
    ('G06', '컴퓨터전자'),
    ('G07', '식품'),
    ('G08', '생활주방건강'),
    ('G09', '가구침구'),
    ('G10', '도서음반'),
    ('G11', '여행'),
    ('G12', 'e쿠폰')
ON CONFLICT (ca_name) DO NOTHING;
CREATE TABLE IF NOT EXISTS dm_gmarket (
    idx serial PRIMARY KEY,
    rank integer NOT NULL,
    title text NOT NULL,
    price text NOT NULL,
    url text NOT NULL,
    img text NOT NULL,
    category text NOT NULL REFERENCES category_kind (ca_name),
    title_xpath text NOT NULL,
    img_xpath text NOT NULL,
    price_xpath text NOT NULL,
    price_won bigint,
    collected_at timestamp NOT NULL
);
CREATE INDEX IF NOT EXISTS dm_gmarket_collected_at ON dm_gmarket (collected_at);
-- Every pipeline run, success or failure.
CREATE TABLE IF NOT EXISTS pipeline_runs (
    id serial PRIMARY KEY,
    hour timestamp NOT NULL,
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    status text NOT NULL,
    error text,
    rows_per_category jsonb NOT NULL,
    stage_seconds jsonb NOT NULL,
    ran_on text NOT NULL DEFAULT ''
);
-- The machine each run ran on (a ledger made before this column gets it here).
ALTER TABLE pipeline_runs ADD COLUMN IF NOT EXISTS ran_on text NOT NULL DEFAULT '';
