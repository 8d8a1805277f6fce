// The custody actions read back by verify, in a module of their own: core/annotations (which the UI
// imports) names them too, and core/custody hashes with Node's Buffer.

/**
 * The actions whose entries verify reads back (services/bundle.ts): the writer and the verifier share
 * these names, so that one renamed on one side cannot make verify see nothing, or everything, as missing.
 */
export const CUSTODY_ACTIONS = {
  evidenceAdded: 'evidence-added',
  reportWritten: 'report-written',
  annotationAdded: 'annotation-added',
  annotationRemoved: 'annotation-removed',
} as const;
