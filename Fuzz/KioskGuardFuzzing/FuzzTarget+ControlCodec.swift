import KioskGuardProtocol

extension FuzzTarget {
    private static let controlLines = ControlCodec(maxLineLength: 2048)

    /// The input is one control-socket line. Checks: a refusal names a code and a message; an
    /// accepted request encodes to a line that decodes to the same request, and its verb has the
    /// target it needs.
    static func controlCodec(_ input: UnsafeRawBufferPointer) {
        switch controlLines.decodeRequest(input) {
        case .failure(let refusal):
            fuzzCheck(!refusal.error.message.isEmpty, "a control refusal without a message")
        case .success(let request):
            if request.verb.needsTarget {
                fuzzCheck(!(request.target ?? "").isEmpty, "an accepted '\(request.verb.rawValue)' without a target")
            }
            let encoded = controlLines.encode(request)
            fuzzCheck(encoded.firstIndex(of: 0x0A) == encoded.count - 1, "an encoded request is not exactly one line")
            guard case .success(let again) = controlLines.decodeRequest(encoded.dropLast()) else {
                fuzzCheck(false, "an accepted request does not survive its own encoding")
                return
            }
            fuzzCheck(again == request, "a request changes in its round trip")
        }
    }
}
