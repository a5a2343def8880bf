#ifndef TINYCTL_PROFILE_H
#define TINYCTL_PROFILE_H

void tc_profile_mark(int op_index);

#endif /* TINYCTL_PROFILE_H */
