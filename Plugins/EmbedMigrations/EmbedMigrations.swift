import Foundation
import PackagePlugin

/// Embeds the migrations of the target's engine into it as Swift source, so the binary never
/// reads SQL files from disk at run time: `migrations/postgresql/*.sql` into PerfDBPostgres,
/// `migrations/sqlite/*.sql` into the others.
@main
struct EmbedMigrations: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let engine = target.name == "PerfDBPostgres" ? "postgresql" : "sqlite"
        let directory = context.package.directoryURL.appending(path: "migrations/\(engine)")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".sql") }
            .sorted()
        let inputs = names.map { directory.appending(path: $0) }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedMigrations.swift")
        let tool = try context.tool(named: "EmbedMigrationsTool")
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) \(engine) migrations",
                executable: tool.url,
                arguments: [output.path] + inputs.map(\.path),
                inputFiles: inputs + [directory],
                outputFiles: [output]
            )
        ]
    }
}
