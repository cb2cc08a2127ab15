-- The demo source: a time-series table worth a hypertable and ordinary tables with keys, a foreign key and sequences.
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE orders (id bigserial PRIMARY KEY, customer int NOT NULL REFERENCES customers(id), total numeric(12,2) NOT NULL,
                     created timestamptz NOT NULL DEFAULT now());
CREATE TABLE readings (ts timestamptz NOT NULL, sensor int NOT NULL, value double precision, PRIMARY KEY (sensor, ts));
INSERT INTO customers (name) SELECT 'customer ' || i FROM generate_series(1, 1000) i;
INSERT INTO orders (customer, total) SELECT 1 + i % 1000, (i % 700) * 1.25 FROM generate_series(1, 100000) i;
INSERT INTO readings SELECT now() - i * INTERVAL '1 second', i % 20, random() * 100 FROM generate_series(1, 500000) i;
