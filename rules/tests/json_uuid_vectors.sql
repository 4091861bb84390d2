-- JSON in TEXT and declared JSON, UUID text and blobs, float32 embeddings.
CREATE TABLE docs (
    id INTEGER PRIMARY KEY,
    ref TEXT NOT NULL,
    ref_upper TEXT,
    context_id BLOB,
    digest BLOB,
    meta TEXT,
    payload JSON DEFAULT '{}',
    broken JSON,
    tags TEXT,
    embedding BLOB,
    thumb BLOB
);
INSERT INTO docs (ref, ref_upper, context_id, digest, meta, payload, broken, tags, embedding, thumb) VALUES
    ('0b6f3e1a-5d2c-4c8e-9a47-2f1d3c5b7e90', 'A3D5E7F9-1B2C-4D6E-8F0A-1C3E5A7B9D2F', x'0b6f3e1a5d2c4c8e9a472f1d3c5b7e90', x'00112233445566778899aabbccddeeff', '{"a": 1}', '{"x": [1, 2]}', '{"ok": true}', 'red', x'0000803f000000400000404000008040', x'89504e47'),
    ('6c1f9a52-8e3b-4d7a-b1c0-9e2d4f6a8b13', NULL, x'6c1f9a528e3b4d7ab1c09e2d4f6a8b13', x'ffeeddccbbaa99887766554433221100', '[1, 2, 3]', 7, 'not json', '["a"]', x'cdcccc3dcdcc4c3e9a99993ecdcccc3e', x'ffd8');
