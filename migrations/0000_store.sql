CREATE TABLE "kubun_compaction" (
	"id" integer PRIMARY KEY NOT NULL,
	"revision" bigint NOT NULL,
	"progress" bigint NOT NULL,
	CONSTRAINT "kubun_compaction_single_row" CHECK ("kubun_compaction"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "kubun_counter" (
	"id" integer PRIMARY KEY NOT NULL,
	"revision" bigint NOT NULL,
	CONSTRAINT "kubun_counter_single_row" CHECK ("kubun_counter"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "kubun_current" (
	"key" text COLLATE "C" PRIMARY KEY NOT NULL,
	"revision" bigint NOT NULL,
	"create_revision" bigint NOT NULL,
	"value" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "kubun_history" (
	"revision" bigint PRIMARY KEY NOT NULL,
	"key" text COLLATE "C" NOT NULL,
	"create_revision" bigint NOT NULL,
	"prev_revision" bigint NOT NULL,
	"deleted" boolean NOT NULL,
	"value" text
);
--> statement-breakpoint
CREATE INDEX "kubun_history_key_revision" ON "kubun_history" USING btree ("key","revision");