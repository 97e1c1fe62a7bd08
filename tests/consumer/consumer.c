/* SPDX-License-Identifier: MIT */
/* Smallest useful teesim client: a machine, a pinned page, read back by PA. */
#include <stdio.h>
#include <string.h>

#include <teesim/teesim.h>

int main(void)
{
	struct teesim_machine *m = teesim_machine_new(NULL);
	struct teesim_guest *g = m ? teesim_machine_guest(m, 0) : NULL;
	struct teesim_process *p = g ? teesim_process_new(g) : NULL;
	char *buf =
	    p ? teesim_process_mmap(p, TEESIM_PAGE_SIZE, TEESIM_PROT_READ | TEESIM_PROT_WRITE)
	      : NULL;
	teesim_ipa_t ipa;
	teesim_pa_t pa;
	char back[6] = {0};
	int ok;

	if (!buf)
		return 1;
	strcpy(buf, "hello");
	ok = teesim_process_pin(p, (uintptr_t) buf, 1, 0, &ipa) == 1 &&
	     !teesim_guest_ipa_to_pa(g, ipa, &pa) && !teesim_phys_read(m, pa, back, 5, 0) &&
	     !strcmp(back, "hello") && !teesim_guest_unpin(g, &ipa, 1);
	teesim_process_free(p);
	teesim_machine_free(m);
	printf("consumer: %s\n", ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}
