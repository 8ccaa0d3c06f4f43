"""The tabular benchmarks of `make bench-search` (bench/tabular/*.csv: real training runs
recorded by hposync) and their lookups, in Python: for the peers' objectives
(bench/search_peers/objectives.py) and the protocol replay's trainer
(trainers/tabular_lookup.py). The same rules as bench/search_tables.hpp, the C++ side;
bench/search_peers/check_objectives.py checks that both give the same values.

  grid     (mnist-cnn.csv): a query snaps to the nearest grid value per key (lr and
           batch_size on a log scale; first on ties).
  sampled  (mnist-mlp.csv, with "# search.KEY = ..." lines): the nearest recorded row;
           categorical keys (choice, lists) must match exactly, numeric keys are compared
           in [0, 1] per key (log keys in the log), squared differences summed in the
           space's order; a key named in "# condition: CHILD if PARENT = V1 | V2" counts
           only where PARENT takes one of the values (the query may lack it otherwise).
           First row on ties.

Standard library only: the lookup trainer starts once per job."""
import math

NUMERIC = ("uniform", "loguniform", "int", "log2int")


def parse_dimension(line, where):
    """'search.lr = loguniform(0.0003, 0.3)' -> (key, fn, args as texts)."""
    key, value = [s.strip() for s in line.split("=", 1)]
    if not key.startswith("search.") or "(" not in value or not value.endswith(")"):
        raise ValueError("%s: search line '%s' is not 'search.KEY = FN(ARGS)'" % (where, line))
    fn, args = value.split("(", 1)
    return key[len("search."):], fn.strip(), [a.strip() for a in args[:-1].split(",")]


def parse_condition(text, where):
    """'momentum if optimizer = momentum' -> (child, parent, {values})."""
    if " if " not in text or "=" not in text.split(" if ", 1)[1]:
        raise ValueError("%s: condition '%s' is not 'CHILD if PARENT = V1 | V2'" % (where, text))
    child, rest = text.split(" if ", 1)
    parent, values = rest.split("=", 1)
    return child.strip(), parent.strip(), {v.strip() for v in values.split("|")}


def unit(fn, args, value):
    """A numeric key's value in [0, 1] of its range (log keys in the log)."""
    lo, hi, v = float(args[0]), float(args[1]), float(value)
    if fn == "loguniform":
        return (math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo))
    if fn == "log2int":
        return (math.log2(v) - lo) / (hi - lo)
    return (v - lo) / (hi - lo)


class Table:
    def __init__(self, path):
        self.path, self.keys, self.rows, self.curves = path, None, [], []
        self.space, self.conditions = [], []
        with open(path) as f:
            for line in f:
                line = line.rstrip("\n")
                if not line:
                    continue
                if line.startswith("#"):
                    self._comment(line[1:].strip())
                elif self.keys is None:
                    self._header(line)
                else:
                    self._row(line)
        if not self.rows:
            raise ValueError("%s: no rows" % path)
        self.best = min(c[-1] for c in self.curves)
        if self.space:
            if [d[0] for d in self.space] != self.keys:
                raise ValueError("%s: the '# search.' lines do not name the key columns %s" % (path, self.keys))
        else:
            self._index_grid()

    def _comment(self, body):
        if body.startswith("condition:"):
            self.conditions.append(parse_condition(body[len("condition:"):].strip(), self.path))
        elif body.startswith("search."):
            self.space.append(parse_dimension(body, self.path))

    def _header(self, line):
        fields = line.split(",")
        if "status" not in fields:
            raise ValueError("%s: unexpected header '%s' (no status column)" % (self.path, line))
        n = fields.index("status")
        self.keys, self.epochs = fields[:n], len(fields) - n - 2
        if self.epochs < 1 or not self.keys:
            raise ValueError("%s: unexpected header '%s'" % (self.path, line))

    def _row(self, line):
        fields = line.split(",")
        if len(fields) != len(self.keys) + self.epochs + 2:
            raise ValueError("%s: row '%s' has %d fields" % (self.path, line, len(fields)))
        n = len(self.keys)
        self.rows.append(fields[:n])
        self.curves.append([float(x) for x in fields[n + 1:n + 1 + self.epochs]])  # float('inf') reads "inf"

    def _index_grid(self):
        self.axis = [sorted({float(r[k]) for r in self.rows}) for k in range(len(self.keys))]
        self.grid_row = {}
        for i, r in enumerate(self.rows):
            self.grid_row[tuple(self.axis[k].index(float(r[k])) for k in range(len(self.keys)))] = i

    def active(self, key, params):
        return all(params.get(parent) is not None and str(params[parent]) in values
                   for child, parent, values in self.conditions if child == key)

    def answer(self, params):
        """The index of the row that answers params (values as a job holds them: numbers or
        their texts), or None where no row can (a categorical value the table lacks)."""
        return self._nearest(params) if self.space else self._grid(params)

    def lookup(self, params, epochs):
        """val_error after `epochs` epochs of the row that answers params (inf: diverged or
        no such row)."""
        r = self.answer(params)
        if r is None:
            return math.inf
        return self.curves[r][min(max(int(epochs), 1), self.epochs) - 1]

    def _nearest(self, params):
        q = {}
        for key, fn, args in self.space:
            if fn in NUMERIC and self.active(key, params):
                if key not in params:
                    raise ValueError("%s: the query has no value for %s" % (self.path, key))
                q[key] = unit(fn, args, params[key])
        best_row, best_d = None, math.inf
        for i, row in enumerate(self.rows):
            d = 0.0
            for k, (key, fn, args) in enumerate(self.space):
                if fn not in NUMERIC:
                    if key not in params or str(params[key]) != row[k]:
                        d = math.inf
                        break
                elif key in q:
                    x = q[key] - unit(fn, args, row[k])
                    d += x * x
            if d < best_d:
                best_row, best_d = i, d
        return best_row

    def _grid(self, params):
        idx = []
        for k, key in enumerate(self.keys):
            tr = math.log if key in ("lr", "batch_size") else (lambda v: v)
            v = tr(float(params[key]))
            best = 0
            for i in range(1, len(self.axis[k])):  # first nearest on ties, as the C++ loop
                if abs(tr(self.axis[k][i]) - v) < abs(tr(self.axis[k][best]) - v):
                    best = i
            idx.append(best)
        return self.grid_row.get(tuple(idx))
