/* The app's runner mode (runner.c). */
#ifndef TINYCTL_RUNNER_H
#define TINYCTL_RUNNER_H

/* Runner mode (docs/runner-protocol.md): serves the serial protocol until the host says goodbye
 * (returns 0) or the link closes (returns 1). */
int runner_main(void);

#endif /* TINYCTL_RUNNER_H */
