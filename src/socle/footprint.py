"""Energy and carbon of a request, Green Algorithms-style (Lannelongue et al., 2021).

    energy (Wh) = (cpu_seconds × power_per_core + wall_seconds × memory_GB × power_per_GB) / 3600 × PUE
    carbon (g)  = energy (kWh) × carbon_intensity (gCO2e/kWh)

``cpu_seconds`` is measured (user + system CPU time of this process during the request,
all threads included, so the model runtime's worker threads count), not estimated from
wall time. Defaults describe an office computer in France:

- power per core: 10 W (a desktop/laptop x86 core under load; Green Algorithms lists
  ~5–15 W per core for current CPUs);
- memory: 0.3725 W per GB (Green Algorithms' figure), times the process's resident memory;
- PUE 1.0 (no data-centre cooling; set e.g. 1.5 for a server room);
- carbon intensity 52 gCO2e/kWh: French grid mix, life-cycle, ADEME Base Empreinte 2023.

All four are settings, so an operator can describe their own hardware and grid.
"""

from __future__ import annotations

import resource
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class FootprintModel:
    power_per_core_w: float = 10.0
    power_per_gb_w: float = 0.3725
    pue: float = 1.0
    carbon_g_per_kwh: float = 52.0


@dataclass(frozen=True)
class Footprint:
    wall_s: float
    cpu_s: float
    memory_gb: float
    energy_wh: float
    carbon_g: float
    tokens_in: int = 0
    tokens_out: int = 0
    time_to_first_token_s: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rss_gb() -> float:
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * resource.getpagesize() / 1e9
    except OSError:  # not Linux: peak RSS (KiB on Linux/BSD, bytes on macOS) is close enough
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


class _Shares:
    """Process CPU time and wall time, shared out among the meters running at once.

    CPU time can only be read for the whole process, and a server answers several
    requests at a time: between two events (a meter starting or stopping), the CPU and
    wall time that elapsed are divided equally among the meters then active. The
    footprints of concurrent requests thus add up to what the process consumed instead of
    counting it once per request."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active: set[Meter] = set()
        self.cpu = self.wall = 0.0

    def _tick(self) -> None:
        cpu, wall = _cpu_seconds(), time.perf_counter()
        if self.active:
            n = len(self.active)
            for m in self.active:
                m.cpu_s += (cpu - self.cpu) / n
                m.shared_wall_s += (wall - self.wall) / n
        self.cpu, self.wall = cpu, wall

    def start(self, meter: Meter) -> None:
        with self.lock:
            self._tick()
            self.active.add(meter)

    def stop(self, meter: Meter) -> None:
        with self.lock:
            self._tick()
            self.active.discard(meter)


_shares = _Shares()


class Meter:
    """Measures one request: ``with Meter() as m: ...`` then ``m.footprint(...)``."""

    def __init__(self, model: FootprintModel | None = None) -> None:
        self.model = model or FootprintModel()
        self._wall0 = 0.0
        self.wall_s = self.cpu_s = self.shared_wall_s = 0.0
        self.first_token_s: float | None = None

    def __enter__(self) -> Meter:
        self._wall0 = time.perf_counter()
        _shares.start(self)
        return self

    def first_token(self) -> None:
        if self.first_token_s is None:
            self.first_token_s = time.perf_counter() - self._wall0

    def __exit__(self, *exc: object) -> None:
        _shares.stop(self)
        self.wall_s = time.perf_counter() - self._wall0

    def footprint(self, tokens_in: int = 0, tokens_out: int = 0) -> Footprint:
        m = self.model
        memory_gb = _rss_gb()
        # Memory draws power for the time it is held; concurrent requests share that time too.
        joules = self.cpu_s * m.power_per_core_w + self.shared_wall_s * memory_gb * m.power_per_gb_w
        energy_wh = joules / 3600 * m.pue
        return Footprint(
            wall_s=self.wall_s,
            cpu_s=self.cpu_s,
            memory_gb=memory_gb,
            energy_wh=energy_wh,
            carbon_g=energy_wh / 1000 * m.carbon_g_per_kwh,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            time_to_first_token_s=self.first_token_s,
        )
