import Crypto
import FoundationEssentials
import KioskGuardConfiguration

/// Standard Webhooks 1.0 signing: `webhook-signature: v1,<base64 HMAC-SHA256(key, "id.timestamp.body")>`,
/// with the key from a `whsec_<base64>` secret. The key never leaves this type.
public struct WebhookSigner: Sendable {
    private let key: SymmetricKey

    /// A signer for `secret` (`whsec_` followed by base64, surrounding whitespace ignored).
    public init(secret: String) throws(WebhookSecretError) {
        let trimmed = secret.trimmingWhitespace()
        guard trimmed.hasPrefix("whsec_"), let bytes = Data(base64Encoded: String(trimmed.dropFirst(6))), bytes.count >= 16 else {
            throw WebhookSecretError()
        }
        key = SymmetricKey(data: bytes)
    }

    /// The `webhook-signature` value for a delivery of `body` as `id` at `timestamp` (unix seconds).
    public func signature(id: String, timestamp: Int64, body: [UInt8]) -> String {
        var mac = HMAC<SHA256>(key: key)
        mac.update(data: Array("\(id).\(timestamp).".utf8))
        mac.update(data: body)
        return "v1," + Data(mac.finalize()).base64EncodedString()
    }
}

/// The hotline secret is not `whsec_` followed by base64 of at least 16 bytes. The message never
/// contains the secret.
public struct WebhookSecretError: Error, CustomStringConvertible {
    public var description: String { "the hotline secret must be whsec_ followed by base64 of at least 16 bytes" }
}
