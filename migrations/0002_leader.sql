CREATE TABLE "kubun_leader" (
	"id" integer PRIMARY KEY NOT NULL,
	"epoch" bigint NOT NULL,
	"holder" text NOT NULL,
	"backend_pid" integer NOT NULL,
	"heartbeat" timestamp with time zone NOT NULL,
	"stale_after_ms" integer NOT NULL,
	CONSTRAINT "kubun_leader_single_row" CHECK ("kubun_leader"."id" = 1)
);
