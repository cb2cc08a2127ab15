-- CONSTRAINT: Événements Événements_pkey (parallel)
ALTER TABLE "Sales"."Événements"
    ADD CONSTRAINT "Événements_pkey" PRIMARY KEY (id, "Zeit");

-- CONSTRAINT: customers customers_pkey (parallel)
ALTER TABLE ONLY public.customers
    ADD CONSTRAINT customers_pkey PRIMARY KEY (id);

-- CONSTRAINT: events events_pkey (parallel)
ALTER TABLE ONLY public.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (id, ts);

-- CONSTRAINT: metrics metrics_device_seq_key (parallel)
ALTER TABLE public.metrics
    ADD CONSTRAINT metrics_device_seq_key UNIQUE NULLS NOT DISTINCT (device, seq, ts);

-- CONSTRAINT: metrics metrics_pkey (parallel)
ALTER TABLE public.metrics
    ADD CONSTRAINT metrics_pkey PRIMARY KEY (id, ts);

-- CONSTRAINT: odd."name" odd."name"_pkey (parallel)
ALTER TABLE ONLY public."odd.""name"""
    ADD CONSTRAINT "odd.""name""_pkey" PRIMARY KEY (k);

-- INDEX: events_ts_idx (parallel)
CREATE INDEX events_ts_idx ON ONLY public.events USING btree (ts);

-- INDEX: events_2026_ts_idx (parallel)
CREATE INDEX events_2026_ts_idx ON public.events_2026 USING btree (ts);

-- INDEX: metrics_device_ts_idx (parallel)
CREATE INDEX metrics_device_ts_idx ON public.metrics USING btree (device, ts DESC);

-- INDEX: metrics_serial_uq (parallel)
CREATE UNIQUE INDEX metrics_serial_uq ON public.metrics USING btree (serial, ts) WHERE (serial IS NOT NULL);

-- INDEX: Événements_zeit_idx (parallel)
CREATE INDEX "Événements_zeit_idx" ON "Sales"."Événements" USING btree ("Zeit" DESC);

-- INDEX ATTACH: events_2026_ts_idx
ALTER INDEX public.events_ts_idx ATTACH PARTITION public.events_2026_ts_idx;

-- TRIGGER: metrics audit_metrics
CREATE TRIGGER audit_metrics AFTER INSERT ON public.metrics FOR EACH ROW EXECUTE FUNCTION public.audit();

-- FK CONSTRAINT: orders orders_customer_id_fkey
ALTER TABLE ONLY public.orders
    ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES public.customers(id) ON DELETE CASCADE;

-- POLICY: orders
ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;


--
-- PostgreSQL database dump complete
--

