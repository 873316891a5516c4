/**
 * What a container exit code means, in plain words. Codes above 128 are 128 + the signal number (POSIX
 * shell convention, https://tldp.org/LDP/abs/html/exitcodes.html; signal numbers from signal(7)). 126/127
 * are the shell's "found but not executable" / "not found". 137 is SIGKILL: the kernel OOM killer
 * (`reason: OOMKilled` in the status) or the kubelet after a failed liveness probe or an expired grace
 * period (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-restarts). 3 is the JVM's
 * exit under -XX:+ExitOnOutOfMemoryError; 239 is Flink's FatalExitExceptionHandler.EXIT_CODE (-17),
 * flink-runtime org/apache/flink/runtime/util/FatalExitExceptionHandler.java.
 */

/** Meaning of one exit code: a short phrase, and a hint of what to check. */
export interface ExitCodeMeaning {
  code: number;
  /** A verb phrase naming the code first, then its meaning: `was killed with exit code 137 (SIGKILL)`. */
  phrase: string;
  /** What usually causes it. */
  hint: string;
}

const SIGNALS: Record<number, string> = {
  1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE', 9: 'SIGKILL',
  11: 'SIGSEGV', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM',
};

const KNOWN: Record<number, [string, string]> = {
  0: ['exited with exit code 0 (it finished)', 'the process finished; with restartPolicy Always a finished process is restarted as if it crashed'],
  1: ['exited with exit code 1, a generic application error', 'the application failed; its last log lines usually say why'],
  2: ['exited with exit code 2, usually a usage error', 'a wrong command-line argument or option, or a shell script error'],
  3: ['exited with exit code 3', 'for a JVM started with -XX:+ExitOnOutOfMemoryError this means it ran out of heap; otherwise application-specific'],
  126: ['exited with exit code 126: the command was found but could not be executed', 'a permission problem or a file that is not executable'],
  127: ['exited with exit code 127: the command was not found', 'a wrong `command`/`args` or an entrypoint missing from the image'],
  128: ['exited with exit code 128: the container process could not be started', 'the runtime failed to start the entrypoint'],
  130: ['was interrupted with exit code 130 (SIGINT)', 'someone or something sent Ctrl-C'],
  134: ['aborted with exit code 134 (SIGABRT)', 'the process aborted itself; for a JVM this is a fatal error (look for hs_err_pid*.log)'],
  137: ['was killed with exit code 137 (SIGKILL)', 'the out-of-memory killer, a failed liveness probe, or a stop that outlasted terminationGracePeriodSeconds'],
  139: ['crashed with exit code 139 (SIGSEGV), a segmentation fault', 'a native-code bug or an incompatible native library'],
  143: ['was stopped with exit code 143 (SIGTERM)', 'a normal stop request (deletion, rollout, eviction or preemption) that the process obeyed'],
  239: ['exited with exit code 239, Flink\'s fatal-error exit (-17)', 'a Flink process stopped on an uncaught fatal error ("FATAL: Thread … produced an uncaught exception"); the log says which'],
};

/**
 * An exit code named the way `kubectl describe` and users write it: `exit code 1`, `exit code 137 (SIGKILL)`,
 * `exit code 143 (SIGTERM)` (codes 129–159 carry their signal's name).
 */
export function exitCodeName(code: number): string {
  const sig = code > 128 && code < 160 ? SIGNALS[code - 128] : undefined;
  return sig ? `exit code ${code} (${sig})` : `exit code ${code}`;
}

/**
 * Explains an exit code.
 * @param code the container's `terminated.exitCode`
 * @returns phrase and hint; unknown codes above 128 are named by their signal, others as a generic failure
 */
export function explainExitCode(code: number): ExitCodeMeaning {
  const k = KNOWN[code];
  if (k) return { code, phrase: k[0], hint: k[1] };
  if (code > 128 && code < 160) {
    const sig = SIGNALS[code - 128];
    return { code, phrase: sig ? `was killed with ${exitCodeName(code)}` : `was killed with exit code ${code} (signal ${code - 128})`, hint: 'a signal from outside the process' };
  }
  return { code, phrase: `exited with ${exitCodeName(code)}`, hint: 'an application-specific error; its last log lines usually say why' };
}
