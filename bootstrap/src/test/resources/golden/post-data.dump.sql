--
-- PostgreSQL database dump
--

\restrict Q2yh0VZLbYcXj3y8kxnEHl4zVhvbkdpH5LyK7cfsWn0kcCcbTmzlJrYfNNGp0qE

-- Dumped from database version 17.6 (Debian 17.6-1)
-- Dumped by pg_dump version 17.6 (Debian 17.6-1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: Événements Événements_pkey; Type: CONSTRAINT; Schema: Sales; Owner: app
--

ALTER TABLE ONLY "Sales"."Événements"
    ADD CONSTRAINT "Événements_pkey" PRIMARY KEY (id, "Zeit");


--
-- Name: customers customers_pkey; Type: CONSTRAINT; Schema: public; Owner: app
--

ALTER TABLE ONLY public.customers
    ADD CONSTRAINT customers_pkey PRIMARY KEY (id);


--
-- Name: events events_pkey; Type: CONSTRAINT; Schema: public; Owner: app
--

ALTER TABLE ONLY public.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (id, ts);


--
-- Name: metrics metrics_device_seq_key; Type: CONSTRAINT; Schema: public; Owner: app
--

ALTER TABLE ONLY public.metrics
    ADD CONSTRAINT metrics_device_seq_key UNIQUE NULLS NOT DISTINCT (device, seq);


--
-- Name: metrics metrics_pkey; Type: CONSTRAINT; Schema: public; Owner: app
--

ALTER TABLE ONLY public.metrics
    ADD CONSTRAINT metrics_pkey PRIMARY KEY (id);


--
-- Name: odd."name" odd."name"_pkey; Type: CONSTRAINT; Schema: public; Owner: app
--

ALTER TABLE ONLY public."odd.""name"""
    ADD CONSTRAINT "odd.""name""_pkey" PRIMARY KEY (k);


--
-- Name: events_ts_idx; Type: INDEX; Schema: public; Owner: app
--

CREATE INDEX events_ts_idx ON ONLY public.events USING btree (ts);


--
-- Name: events_2026_ts_idx; Type: INDEX; Schema: public; Owner: app
--

CREATE INDEX events_2026_ts_idx ON public.events_2026 USING btree (ts);


--
-- Name: metrics_device_ts_idx; Type: INDEX; Schema: public; Owner: app
--

CREATE INDEX metrics_device_ts_idx ON public.metrics USING btree (device, ts DESC);


--
-- Name: metrics_serial_uq; Type: INDEX; Schema: public; Owner: app
--

CREATE UNIQUE INDEX metrics_serial_uq ON public.metrics USING btree (serial) WHERE (serial IS NOT NULL);


--
-- Name: Événements_zeit_idx; Type: INDEX; Schema: Sales; Owner: app
--

CREATE INDEX "Événements_zeit_idx" ON "Sales"."Événements" USING btree ("Zeit" DESC);


--
-- Name: events_2026_ts_idx; Type: INDEX ATTACH; Schema: public; Owner: app
--

ALTER INDEX public.events_ts_idx ATTACH PARTITION public.events_2026_ts_idx;


--
-- Name: metrics audit_metrics; Type: TRIGGER; Schema: public; Owner: app
--

CREATE TRIGGER audit_metrics AFTER INSERT ON public.metrics FOR EACH ROW EXECUTE FUNCTION public.audit();


--
-- Name: metrics ts_insert_blocker; Type: TRIGGER; Schema: public; Owner: app
--

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON public.metrics FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();


--
-- Name: orders orders_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: app
--

ALTER TABLE ONLY public.orders
    ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES public.customers(id) ON DELETE CASCADE;


--
-- Name: app_pub; Type: PUBLICATION; Schema: -; Owner: app
--

CREATE PUBLICATION app_pub FOR ALL TABLES WITH (publish = 'insert, update, delete, truncate');


--
-- Name: orders; Type: POLICY; Schema: public; Owner: app
--

ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;


--
-- PostgreSQL database dump complete
--

\unrestrict Q2yh0VZLbYcXj3y8kxnEHl4zVhvbkdpH5LyK7cfsWn0kcCcbTmzlJrYfNNGp0qE

