import Foundation

// Writes a Swift file that holds every migration as a string literal, in file-name order.
// Usage: EmbedMigrationsTool OUTPUT.swift MIGRATION.sql…
//        EmbedMigrationsTool --build-info OUTPUT.swift GIT-DIRECTORY

/// The commit HEAD names in a `.git` directory (a loose or packed ref, or a detached HEAD).
func headCommit(_ git: URL) -> String? {
    guard let head = try? String(contentsOf: git.appending(path: "HEAD"), encoding: .utf8)
    else { return nil }
    let line = head.trimmingCharacters(in: .whitespacesAndNewlines)
    guard line.hasPrefix("ref: ") else { return line.isEmpty ? nil : line }
    let ref = String(line.dropFirst(5))
    if let loose = try? String(contentsOf: git.appending(path: ref), encoding: .utf8) {
        return loose.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    let packed =
        (try? String(contentsOf: git.appending(path: "packed-refs"), encoding: .utf8)) ?? ""
    for entry in packed.split(separator: "\n") where entry.hasSuffix(" " + ref) {
        return String(entry.prefix { $0 != " " })
    }
    return nil
}

let arguments = CommandLine.arguments.dropFirst()
if arguments.first == "--build-info", arguments.count == 3 {
    let output = arguments.dropFirst().first ?? ""
    let commit = headCommit(URL(fileURLWithPath: arguments.last ?? "")).map { "\"\($0)\"" }
    let source = """
        // Generated at build time from the repository's HEAD. Do not edit.

        /// The commit this binary was built from; nil when it was built outside a git clone.
        let buildCommit: String? = \(commit ?? "nil")

        """
    do {
        try source.write(toFile: output, atomically: true, encoding: .utf8)
    } catch {
        FileHandle.standardError.write(Data("cannot write \(output): \(error)\n".utf8))
        exit(74)
    }
    exit(0)
}
guard let outputPath = arguments.first else {
    FileHandle.standardError.write(Data("usage: EmbedMigrationsTool OUTPUT INPUT…\n".utf8))
    exit(64)
}

/// Returns `text` as a Swift raw string literal that no content can terminate early.
func rawLiteral(_ text: String) -> String {
    var hashes = "#"
    while text.contains("\"" + hashes) || text.contains(hashes + "\"") {
        hashes += "#"
    }
    return hashes + "\"\"\"\n" + text + "\n\"\"\"" + hashes
}

var entries: [String] = []
for path in arguments.dropFirst().sorted() {
    let url = URL(fileURLWithPath: path)
    let identifier = url.deletingPathExtension().lastPathComponent
    guard let sql = try? String(contentsOf: url, encoding: .utf8) else {
        FileHandle.standardError.write(Data("cannot read \(path)\n".utf8))
        exit(74)
    }
    entries.append(
        "        EmbeddedMigration(\n            identifier: \"\(identifier)\",\n"
            + "            sql: \(rawLiteral(sql))\n        ),")
}

let source = """
    // Generated from migrations/<engine>/*.sql at build time. Do not edit.

    import PerfDBModel

    /// The schema migrations of the warehouse, in the order they are applied.
    let embeddedMigrations: [EmbeddedMigration] = [
    \(entries.joined(separator: "\n"))
    ]

    """
do {
    try source.write(toFile: outputPath, atomically: true, encoding: .utf8)
} catch {
    FileHandle.standardError.write(Data("cannot write \(outputPath): \(error)\n".utf8))
    exit(74)
}
