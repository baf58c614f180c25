-- The counter row is rewritten by every write batch: leave room on its page for HOT updates.
ALTER TABLE "kubun_counter" SET (fillfactor = 10);
--> statement-breakpoint
-- Updates of a key rewrite its row; free space on the page lets them be HOT updates.
ALTER TABLE "kubun_current" SET (fillfactor = 70);
--> statement-breakpoint
INSERT INTO "kubun_counter" ("id", "revision") VALUES (1, 0);
--> statement-breakpoint
INSERT INTO "kubun_compaction" ("id", "revision", "progress") VALUES (1, 0, 0);
--> statement-breakpoint
-- Applies a batch of writes in one statement (one round trip, one commit) while
-- every write keeps its own outcome: a failed compare-and-swap is reported for that
-- write alone and consumes no revision, so revisions stay gap-free.
--
-- p_ops[i] is 'create' | 'update' | 'delete'; p_expected[i] is the revision the
-- caller expects the key to have (0: any). Writes apply in array order, so a later
-- write in the batch sees an earlier one's result.
--
-- The counter row lock is taken first and held to commit: revisions are handed out
-- in commit order. The function must stay VOLATILE so that, under READ COMMITTED,
-- each statement after the lock sees the rows the previous batch committed.
--
-- Returns per write: its outcome, revision and create revision, and for updates
-- and deletes the version replaced (o_prev_revision, o_prev_value), so that the
-- writing instance can feed its watchers without reading the rows back.
CREATE FUNCTION kubun_apply(p_ops text[], p_keys text[], p_values text[], p_expected bigint[])
RETURNS TABLE (o_outcome text, o_revision bigint, o_create_revision bigint, o_prev_revision bigint, o_prev_value text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_revision bigint;
  v_first bigint;
  v_current_revision bigint;
  v_current_create bigint;
  v_current_value text;
  i int;
BEGIN
  SELECT c.revision INTO v_revision FROM kubun_counter c WHERE c.id = 1 FOR UPDATE;
  v_first := v_revision;
  FOR i IN 1 .. coalesce(array_length(p_keys, 1), 0) LOOP
    o_prev_value := NULL;
    o_prev_revision := 0;
    IF p_ops[i] = 'create' THEN
      -- Hot path: one statement both checks for the key and claims it.
      INSERT INTO kubun_current (key, revision, create_revision, value)
        VALUES (p_keys[i], v_revision + 1, v_revision + 1, p_values[i])
        ON CONFLICT (key) DO NOTHING;
      IF NOT FOUND THEN
        SELECT c.revision, c.create_revision INTO v_current_revision, v_current_create
          FROM kubun_current c WHERE c.key = p_keys[i];
        o_outcome := 'exists'; o_revision := v_current_revision; o_create_revision := v_current_create;
        RETURN NEXT; CONTINUE;
      END IF;
      v_revision := v_revision + 1;
      INSERT INTO kubun_history (revision, key, create_revision, prev_revision, deleted, value)
        VALUES (v_revision, p_keys[i], v_revision, 0, false, p_values[i]);
      o_outcome := 'ok'; o_revision := v_revision; o_create_revision := v_revision;
    ELSE
      SELECT c.revision, c.create_revision, c.value
        INTO v_current_revision, v_current_create, v_current_value
        FROM kubun_current c WHERE c.key = p_keys[i];
      IF NOT FOUND THEN
        o_outcome := 'missing'; o_revision := 0; o_create_revision := 0;
        RETURN NEXT; CONTINUE;
      END IF;
      IF p_expected[i] <> 0 AND p_expected[i] <> v_current_revision THEN
        o_outcome := 'conflict'; o_revision := v_current_revision; o_create_revision := v_current_create;
        RETURN NEXT; CONTINUE;
      END IF;
      v_revision := v_revision + 1;
      IF p_ops[i] = 'update' THEN
        INSERT INTO kubun_history (revision, key, create_revision, prev_revision, deleted, value)
          VALUES (v_revision, p_keys[i], v_current_create, v_current_revision, false, p_values[i]);
        UPDATE kubun_current SET revision = v_revision, value = p_values[i] WHERE key = p_keys[i];
        o_prev_value := v_current_value;
      ELSE
        INSERT INTO kubun_history (revision, key, create_revision, prev_revision, deleted, value)
          VALUES (v_revision, p_keys[i], v_current_create, v_current_revision, true, NULL);
        DELETE FROM kubun_current WHERE key = p_keys[i];
        o_prev_value := v_current_value;
      END IF;
      o_outcome := 'ok'; o_revision := v_revision; o_create_revision := v_current_create;
      o_prev_revision := v_current_revision;
    END IF;
    RETURN NEXT;
  END LOOP;
  IF v_revision > v_first THEN
    UPDATE kubun_counter SET revision = v_revision WHERE id = 1;
    -- Delivered at commit; every store instance listening reads the new rows.
    PERFORM pg_notify('kubun_revision', v_revision::text);
  END IF;
END;
$$;
