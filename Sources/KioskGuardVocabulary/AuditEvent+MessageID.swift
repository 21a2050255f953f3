extension AuditEvent {
    /// The fixed 128-bit `MESSAGE_ID` of this event class, explained in `kioskguard.catalog`.
    /// These never change: reviewers and tools filter the journal by them.
    public var messageID: String {
        switch self {
        case .daemonStarted: "b9bc6fb619554eef9e15c5e71e6e480b"
        case .daemonStopping: "090e808937c642f3b2e8ec5aa2b23b4a"
        case .configReloaded: "2ff94a993c094c92b97a98962a9e8937"
        case .terminalConnected: "8314b5d08ee2499fa0e0054038e2939d"
        case .terminalDisconnected: "4f02bb3c306f492198e01891f49d9696"
        case .terminalDenied: "073afe52d5bf4e5f84f5d65ba0dd457b"
        case .sessionBegun: "90c78ce73f184f01a7a3194b9ce1845b"
        case .sessionWarned: "6cb5002800b44e018932904b83ed6a40"
        case .sessionResumed: "1a81b446581748a2a5b388e36f66edec"
        case .sessionLocked: "577a899b03d344ab90a85f235a9d4152"
        case .sessionUnlocked: "f619744b52a34406a33b0a39547c35bf"
        case .sessionEnded: "af514c0e87bb4ff8b853d3477468247d"
        case .stepAllowed: "5b9c6af0980a4bd68b20f8d11c25a6f4"
        case .stepDenied: "077f40d0a66a44e1b974d0a976b1884a"
        case .stepDone: "592dd4fea59f43359cae410e8c377f04"
        case .anomaly: "63121e457783478ba10b6910c7bbaea5"
        case .alertQueued: "932a22576e48407897cedc9bcaf29c6b"
        case .alertDelivered: "4608f2c35d864b2796ded6264ac47343"
        case .alertRetry: "28fafc9a2b62431bb224391639034326"
        case .alertStalled: "ccd03aaaff7f4ac0a1df374cec8ccca8"
        case .adminAction: "220f837f4da141c28c03a8ebc66b6ffc"
        case .lockAction: "e6f33edd23a94838a47f6639f1aa3a66"
        case .cardReader: "7351d54a607b48cf926db4ddfba27bfb"
        case .protocolErrors: "6cb53383fc8245ef95a282459235a73e"
        }
    }
}
