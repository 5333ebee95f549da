"""The results of the comparison on screen: filled run by run, read by every view."""

import param


class ResultsStore(param.Parameterized):
    """Runs as they arrive, and the job they belong to. Views depend on `version`,
    bumped when a replication of every strategy is complete (and at the last run): the
    charts redraw once per replication, not once per run, since a redraw of every view
    costs more than a run at the app's default size."""

    version = param.Integer(0, doc="bumped when the charts should redraw")
    done = param.Integer(0, doc="runs finished")
    total = param.Integer(0, doc="runs the comparison needs")
    status = param.String("", doc="what the store holds, in words")
    running = param.Boolean(False)

    def __init__(self, **params):
        super().__init__(**params)
        self.job = None
        self.request = None
        self.runs: list = []
        self._derived: dict = {}    # result, complete result, document of these runs

    def begin(self, request, job, total: int) -> None:
        """A new comparison: earlier results stay on screen until its first run lands."""
        self._next = (request, job)
        self._fresh = True
        self.param.update(done=0, total=total, running=True,
                          status=f"simulating {total} runs ...")

    def add(self, run) -> None:
        if self._fresh:
            self.request, self.job = self._next
            self.runs, self._fresh, self._landed = [], False, {}
        self.runs.append(run)
        self._derived = {}
        landed = self._landed.setdefault(run.rep, set())
        landed.add(run.strategy)
        left = self.total - self.done - 1
        redraw = left == 0 or len(landed) == len({*self.job.strategies, *self.job.twins})
        self.param.update(done=self.done + 1, version=self.version + redraw,
                          status=f"{self.done + 1} of {self.total} runs done"
                          + (f", {left} to go" if left else ""))

    def finish(self) -> None:
        self.param.update(running=False, status=f"{self.total} runs done: "
                          f"{len(self.job.strategies)} strategies x {self.job.reps} replications")

    def fail(self, message: str) -> None:
        self.param.update(running=False, status=message)

    def _once(self, name: str, compute):
        """`compute()` once per set of runs: every view on screen reads the same result
        and document, and a document costs a quarter of a second at the default size."""
        if name not in self._derived:
            self._derived[name] = compute()
        return self._derived[name]

    def result(self):
        """The job's result of the runs so far (`JobResult`), or None before any."""
        if self.job is None or not self.runs:
            return None
        return self._once("result", lambda: self.job.collect(self.runs))

    def complete_result(self):
        """Only the replications every strategy and twin has finished: what the paired
        comparison with the baseline can use so far."""
        return self._once("complete", self._complete)

    def _complete(self):
        if self.job is None:
            return None
        names = {*self.job.strategies, *self.job.twins}
        have: dict[int, set] = {}
        for r in self.runs:
            have.setdefault(r.rep, set()).add(r.strategy)
        reps = {rep for rep, got in have.items() if got >= names}
        if not reps:
            return None
        return self.job.collect([r for r in self.runs if r.rep in reps])

    def document(self) -> dict | None:
        """The CLI's JSON document of the finished replications."""
        result = self.complete_result()
        return None if result is None else self._once("document",
                                                      lambda: self.job.document(result))
