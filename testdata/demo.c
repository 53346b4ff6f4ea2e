/*
 * demo.c: the classic libseccomp sandbox.
 *
 * It allows every syscall by default, makes openat(2) and connect(2) fail
 * with EPERM, loads that filter and then runs the program it is given:
 *
 *	gcc -o demo demo.c -lseccomp
 *	./demo ./suspicious-app
 *
 * The same policy as a rules document:
 *
 *	oci-sbx convert --from libseccomp-c --to rules demo.c
 *
 * A dynamically linked program cannot even start under this filter: the
 * dynamic loader opens its libraries with openat(2).
 */
#include <seccomp.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
	scmp_filter_ctx ctx;
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: %s PROGRAM [ARGUMENT...]\n", argv[0]);
		return 2;
	}

	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (ctx == NULL) {
		fprintf(stderr, "seccomp_init: cannot create a filter\n");
		return 1;
	}

	rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(openat), 0);
	if (rc < 0)
		goto fail;
	rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(connect), 0);
	if (rc < 0)
		goto fail;

	rc = seccomp_load(ctx);
	if (rc < 0)
		goto fail;
	seccomp_release(ctx);

	execv(argv[1], &argv[1]);
	perror("execv");
	return 1;

fail:
	errno = -rc;
	perror("seccomp");
	seccomp_release(ctx);
	return 1;
}
