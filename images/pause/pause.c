/* The pod sandbox ("pause") process: holds the pod's namespaces open, reaps
 * children it inherits as PID 1, and exits on SIGINT/SIGTERM. Built static so the
 * image is one file; tagged registry.k8s.io/pause:3.10 so containerd never pulls. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int sig) { (void)sig; _exit(0); }

static void reap(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(void) {
  signal(SIGINT, stop);
  signal(SIGTERM, stop);
  signal(SIGCHLD, reap);
  for (;;) pause();
}
