/// The options every verb shares may stand before the verb too, as with systemctl and git:
/// `kioskguardctl --json status` is `kioskguardctl status --json`. The argument parser takes a
/// subcommand's options after its name only, so the ones found before the verb are moved after
/// the verb path (the verb and any sub-verb, such as `alerts retry`).
enum GlobalArguments {
    /// The shared options: whether each takes a value.
    static let options: [String: Bool] = ["--json": false, "--socket": true]

    /// `arguments` (without the program name) with the shared options that precede the verb
    /// moved after the verb path; anything else is left as it is, for the parser to judge.
    static func normalized(_ arguments: [String], verbPaths: Set<[String]>) -> [String] {
        var leading: [String] = []
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            let name = String(argument.prefix { $0 != "=" })
            guard let takesValue = options[name] else { break }
            leading.append(argument)
            index += 1
            if takesValue, !argument.contains("="), index < arguments.endIndex {
                leading.append(arguments[index])
                index += 1
            }
        }
        guard !leading.isEmpty, index < arguments.endIndex else { return arguments }
        var rest = Array(arguments[index...])
        var verbLength = 1
        while verbLength < rest.count, verbPaths.contains(Array(rest.prefix(verbLength + 1))) { verbLength += 1 }
        rest.insert(contentsOf: leading, at: verbLength)
        return rest
    }
}
