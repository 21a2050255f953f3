/// How a person's identifier is written does not change whose it is: `FI21 1234 5600 0007 85`,
/// `FI2112345600000785` and `fi21-1234-5600-0007-85` are one account, and must be one pseudonym,
/// or an account entered by two apps in two formats would escape `account.multiple-subjects`.
///
/// Before pseudonymising, the separators people and apps put into numbers are dropped (space,
/// tab, `-`, `.`, `/`) and the ASCII letters `a`–`z` become `A`–`Z`. Every other byte is kept as
/// sent: `+` (a century sign in Finnish identity codes), digits, and non-ASCII letters.
public enum IdentifierSpelling {
    /// Whether `byte` is a separator, dropped before pseudonymising.
    @inlinable
    public static func isSeparator(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "/")
    }

    /// `byte` with an ASCII lower-case letter made upper-case.
    @inlinable
    public static func canonical(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) ? byte - 0x20 : byte
    }
}
