COPY "public"."Readings ""x""" ("id", "ts", "a""b; drop table x --") FROM STDIN
CREATE TEMP TABLE IF NOT EXISTS "tsm_stage_7" ON COMMIT DELETE ROWS AS SELECT "id", "ts", "a""b; drop table x --", NULL::"char" AS "__tsm_op", NULL::int2[] AS "__tsm_keep", "id" AS "__tsm_from_0" FROM "public"."Readings ""x""" WITH NO DATA
COPY "tsm_stage_7" ("id", "ts", "a""b; drop table x --", "__tsm_op", "__tsm_keep", "__tsm_from_0") FROM STDIN
UPDATE "tsm_stage_7" s SET "a""b; drop table x --" = CASE WHEN 2 = ANY(s."__tsm_keep") THEN t."a""b; drop table x --" ELSE s."a""b; drop table x --" END FROM "public"."Readings ""x""" t WHERE s."__tsm_keep" IS NOT NULL AND s."__tsm_op" = 'u' AND t."id" = coalesce(s."__tsm_from_0", s."id")
DELETE FROM "public"."Readings ""x""" t USING "tsm_stage_7" s WHERE t."id" = s."id"
INSERT INTO "public"."Readings ""x""" ("id", "ts", "a""b; drop table x --") OVERRIDING SYSTEM VALUE SELECT "id", "ts", "a""b; drop table x --" FROM "tsm_stage_7" WHERE "__tsm_op" = 'u' ORDER BY "ts"
DELETE FROM "Sales"."order" t USING "tsm_stage_2" s WHERE t."id" = s."id"
INSERT INTO "Sales"."order" ("id", "select") OVERRIDING SYSTEM VALUE SELECT "id", "select" FROM "tsm_stage_2" WHERE "__tsm_op" = 'u'
TRUNCATE "Sales"."order"
ALTER TABLE "Sales"."order" ADD COLUMN IF NOT EXISTS "new ""col""" numeric
