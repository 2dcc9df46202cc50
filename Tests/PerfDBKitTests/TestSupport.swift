import Foundation
import PerfDBTestSupport

@testable import PerfDBAnalysis
@testable import PerfDBIngest
@testable import PerfDBModel
@testable import PerfDBReport
@testable import PerfDBStore

/// Reads and adapts a fixture made by a real tool.
func fixtureBatch(_ format: String, _ name: String) throws -> IngestBatch {
    try InputFormat.read(try InputFile.read(TestPaths.fixture(format, name)))
}
