import { readdirSync, readFileSync } from 'node:fs';

/** SCHED_IDLE's number in the policy field of /proc/<pid>/task/<tid>/stat. */
export const SCHED_IDLE = 5;

/**
 * Nice and scheduling policy of every thread of this process (Linux): the 19th and 41st fields of its
 * /proc/self/task/TID/stat, counted after the command name, which may hold spaces.
 */
export function threadSchedules(): Array<{ nice: number; policy: number }> {
  return readdirSync('/proc/self/task').map((tid) => {
    const fields = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return { nice: Number(fields[16]), policy: Number(fields[38]) };
  });
}
