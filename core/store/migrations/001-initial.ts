import type { Migration } from './index.js';

/**
 * The descriptor columns are fixed here (not derived from the RDKit build at run time) so that a
 * migration means the same thing forever. Names are RDKit's `get_descriptors()` keys (2026.09).
 */
export const DESCRIPTOR_COLUMNS_V1 = [
  'exactmw', 'amw', 'lipinskiHBA', 'lipinskiHBD', 'NumRotatableBonds', 'NumHBD', 'NumHBA', 'NumHeavyAtoms', 'NumAtoms',
  'NumHeteroatoms', 'NumAmideBonds', 'FractionCSP3', 'NumRings', 'NumAromaticRings', 'NumAliphaticRings', 'NumSaturatedRings',
  'NumHeterocycles', 'NumAromaticHeterocycles', 'NumSaturatedHeterocycles', 'NumAliphaticHeterocycles', 'NumSpiroAtoms',
  'NumBridgeheadAtoms', 'NumAtomStereoCenters', 'NumUnspecifiedAtomStereoCenters', 'labuteASA', 'tpsa', 'CrippenClogP',
  'CrippenMR', 'chi0v', 'chi1v', 'chi2v', 'chi3v', 'chi4v', 'chi0n', 'chi1n', 'chi2n', 'chi3n', 'chi4n', 'hallKierAlpha',
  'kappa1', 'kappa2', 'kappa3', 'Phi', 'QED', 'lipinski_violations',
] as const;
export const FLAG_COLUMNS_V1 = ['lipinski_pass', 'veber_pass'] as const;

const q = (name: string) => `"${name}"`;

export const migration001: Migration = {
  version: 1,
  name: 'initial schema: sources, compounds, descriptors, fingerprints, properties, import report, provenance',
  up(db) {
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL,
        name TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        format TEXT NOT NULL,
        options TEXT NOT NULL DEFAULT '{}',
        imported_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running','complete','cancelled','failed')),
        last_record INTEGER NOT NULL DEFAULT 0,
        n_read INTEGER NOT NULL DEFAULT 0,
        n_imported INTEGER NOT NULL DEFAULT 0,
        n_duplicates INTEGER NOT NULL DEFAULT 0,
        n_failed INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX sources_sha ON sources(sha256);
      CREATE TABLE compounds (
        id INTEGER PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        record_no INTEGER NOT NULL,
        line INTEGER,
        name TEXT,
        original TEXT NOT NULL,
        original_format TEXT NOT NULL CHECK (original_format IN ('smiles','molblock')),
        original_smiles TEXT NOT NULL,
        smiles TEXT NOT NULL,
        identity TEXT NOT NULL,
        standardisation TEXT NOT NULL DEFAULT '',
        heavy_atoms INTEGER NOT NULL,
        duplicate_of INTEGER REFERENCES compounds(id)
      );
      CREATE UNIQUE INDEX compounds_source_record ON compounds(source_id, record_no);
      CREATE UNIQUE INDEX compounds_identity_unique ON compounds(identity) WHERE duplicate_of IS NULL;
      CREATE INDEX compounds_duplicate_of ON compounds(duplicate_of) WHERE duplicate_of IS NOT NULL;
      CREATE INDEX compounds_name ON compounds(name);
      CREATE TABLE descriptors (
        compound_id INTEGER PRIMARY KEY REFERENCES compounds(id) ON DELETE CASCADE,
        ${DESCRIPTOR_COLUMNS_V1.map((c) => `${q(c)} REAL`).join(',\n        ')},
        ${FLAG_COLUMNS_V1.map((c) => `${q(c)} INTEGER`).join(',\n        ')}
      );
      CREATE TABLE fingerprints (
        compound_id INTEGER PRIMARY KEY REFERENCES compounds(id) ON DELETE CASCADE,
        morgan BLOB NOT NULL
      );
      CREATE TABLE properties (
        compound_id INTEGER NOT NULL REFERENCES compounds(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        value TEXT NOT NULL,
        num REAL,
        PRIMARY KEY (compound_id, name)
      ) WITHOUT ROWID;
      CREATE INDEX properties_name_num ON properties(name, num);
      CREATE TABLE import_issues (
        id INTEGER PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        record_no INTEGER NOT NULL,
        line INTEGER,
        reason TEXT NOT NULL,
        excerpt TEXT
      );
      CREATE UNIQUE INDEX import_issues_source_record ON import_issues(source_id, record_no);
      CREATE TABLE provenance (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        operation TEXT NOT NULL,
        params TEXT NOT NULL,
        result TEXT,
        app_version TEXT NOT NULL
      );
      CREATE TABLE subgroups (
        name TEXT PRIMARY KEY,
        rule TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
    `);
    // The columns users sort by most often get an index up front; others are indexed on first use.
    for (const c of ['exactmw', 'QED', 'CrippenClogP', 'tpsa']) db.exec(`CREATE INDEX ${q(`descriptors_${c}`)} ON descriptors(${q(c)})`);
  },
};
