-- An event's copies (event_duplicates), read each time its detail opens: by event, not by a scan of
-- every copy in the case (a re-imported export or an overlapping acquisition holds millions).
CREATE INDEX event_duplicates_event ON event_duplicates(event_id);
