//! One `serve` per data directory: an exclusive lock on
//! `<data dir>/serve.lock`, held for the life of the process (the OS drops
//! it when the process dies, even by `kill -9`).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::Path;

use anyhow::{Context, bail};

#[derive(Debug)]
pub struct ServeLock {
    _file: File,
}

pub fn acquire(data_dir: &Path) -> anyhow::Result<ServeLock> {
    let path = data_dir.join("serve.lock");
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    if file.try_lock().is_err() {
        let mut pid = String::new();
        let _ = file.read_to_string(&mut pid);
        bail!(
            "another `tarello serve` (pid {}) is already running on data dir {}; stop it first or use another TARELLO_DATA_DIR",
            pid.trim(),
            data_dir.display()
        );
    }
    file.set_len(0)?;
    file.rewind()?;
    write!(file, "{}", std::process::id())?;
    file.flush()?;
    Ok(ServeLock { _file: file })
}

/// Is a `serve` holding the lock right now?
pub fn held(data_dir: &Path) -> bool {
    let Ok(file) = OpenOptions::new()
        .read(true)
        .write(true)
        .open(data_dir.join("serve.lock"))
    else {
        return false;
    };
    match file.try_lock() {
        Ok(()) => {
            let _ = file.unlock();
            false
        }
        Err(_) => true,
    }
}
