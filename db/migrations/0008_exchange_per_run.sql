-- Each API answer keeps its own request and response. The request (method, URL, headers, body; never the
-- token) and the response's status and headers were kept on the evidence row, which is one per distinct
-- content: a body received again (an empty page, a repeated status answer) kept the first answer's
-- request and headers, and the later exchange's own were lost but for its URL. They now live on the
-- import run, one per answer stored. The evidence row keeps those of the first answer with its content.
ALTER TABLE import_runs ADD COLUMN request_json TEXT;
ALTER TABLE import_runs ADD COLUMN response_json TEXT;

-- An existing case: the evidence row's exchange belongs to the first run that stored that content; the
-- later runs' own exchanges were not kept and stay NULL.
UPDATE import_runs SET (request_json, response_json) = (SELECT v.request_json, v.response_json FROM evidence v WHERE v.id = import_runs.evidence_id)
  WHERE source = 'acquisition'
    AND id = (SELECT min(r.id) FROM import_runs r WHERE r.evidence_id = import_runs.evidence_id AND r.source = 'acquisition');
