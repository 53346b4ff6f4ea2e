#include <errno.h>
#include <seccomp.h>

/* The bad-architecture action below is compiled out by an expression: the filter keeps
 * libseccomp's default (kill), so lint says nothing about it. */
int main(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
#if 1 - 1 && (2 > 1)
	seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);
#endif
	seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(openat), 0);
	seccomp_load(ctx);
	return 0;
}
