import Foundation

// Writes a Swift file that holds every migration as a string literal, in file-name order.
// Usage: EmbedMigrationsTool OUTPUT.swift MIGRATION.sql…

let arguments = CommandLine.arguments.dropFirst()
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
