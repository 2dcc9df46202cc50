import PerfDBModel

extension IngestBatch {
    /// The batch with the tool's exit code applied.
    ///
    /// For k6: 0 means no threshold was crossed, so thresholds a raw stream lists as crossed
    /// were never evaluated (`k6 run --no-thresholds`) and are stored as such; 99 means a
    /// threshold was crossed (aborted when one with `abortOnFail` was); 105, 107, 108 and any
    /// other code mean the test was aborted. Without an exit code the file's own verdict stands,
    /// and a stream whose submetric thresholds it cannot see says so.
    ///
    /// For Locust: 0 passed, 1 failed (some request failed), any other code aborted; without
    /// one, a run with a failed request is failed.
    public func settled(exitCode: Int?) -> IngestBatch {
        if tool == "locust", let exitCode {
            var batch = self
            batch.status = exitCode == 0 ? .passed : exitCode == 1 ? .failed : .aborted
            return batch
        }
        guard tool == "k6" else { return self }
        var batch = self
        let crossed = thresholds.filter { $0.passed == false }
        switch exitCode {
        case nil:
            if !submetricsWithoutThresholds.isEmpty {
                let names = submetricsWithoutThresholds.joined(separator: ", ")
                batch.warnings.append(
                    "the stream declares submetrics (\(names)) whose thresholds are not in "
                        + "k6's stream: pass --exit-code to store whether they were crossed")
            }
        case 0:
            if format.isStream && !crossed.isEmpty {
                for index in batch.thresholds.indices { batch.thresholds[index].passed = nil }
                batch.warnings.append(
                    "k6 exited 0 although \(crossed.count) threshold(s) in the stream are "
                        + "crossed: k6 did not evaluate them (--no-thresholds); stored as not "
                        + "evaluated")
                batch.status = incomplete ? .aborted : .passed
            }
        case 99:
            batch.status = crossed.contains(where: \.abortOnFail) ? .aborted : .failed
        default:
            batch.status = .aborted
        }
        return batch
    }
}
