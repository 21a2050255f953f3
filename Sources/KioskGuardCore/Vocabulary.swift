// The names of the journal and the wire (events, fields, reasons, anomaly kinds, MESSAGE_IDs)
// live in KioskGuardVocabulary, which the journal's writer and its readers both import; the
// engine's types are built from them, so Core passes them on to whoever imports Core.
@_exported public import KioskGuardVocabulary
