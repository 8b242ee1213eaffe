/* source_file.h -- fill the store from files and keep it in step with them.
 *
 * `--policy FILE` (SizingPolicy documents) and `--recommendations FILE`
 * (Recommendation documents) are read at start and re-read whenever they
 * change (checked by stat: device, inode, size, mtime -- ConfigMap volumes
 * swap a symlink, which changes the inode). A file that fails to parse is
 * logged and counted, and the previous contents stay in service. Without a
 * policy file the built-in default policy is used; without a
 * recommendations file there are none.
 */
#ifndef SNUG_SOURCE_FILE_H
#define SNUG_SOURCE_FILE_H

#include <stdbool.h>

#include "base/status.h"
#include "webhook/store.h"

typedef struct file_source file_source;

/* Paths may be NULL. The store is borrowed. The first load happens here:
 * a file that cannot be loaded at start is an error (the message names the
 * file and the field), so a typo is noticed at once. */
snug_status file_source_new(store *s, const char *policy_path, const char *recs_path,
                            file_source **out, snug_err *err);

/* Re-read files whose stat changed (every file when `force`). Returns how
 * many files were reloaded successfully. Never fails: errors are logged. */
int file_source_poll(file_source *fs, bool force);

void file_source_free(file_source *fs);

#endif
