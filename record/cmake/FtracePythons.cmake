# Finds the CPython interpreters the recorder is built for: every CPython 3.8+ that can be
# found, one build per extension suffix (one per minor version on Linux).
#
#   FTRACE_PYTHONS           ;-list of interpreters to build for, in addition to those found
#   FTRACE_FIND_PYTHONS      ON (default): also look for python3 on PATH, pyenv's
#                            $(pyenv root)/versions/3.*/bin/python3 and /usr/bin/python3
#
# Sets FTRACE_PY_BUILDS to a list of tags (310, 311, ...) and, per tag,
# FTRACE_PY_<tag>_EXE, _VERSION, _INCLUDE, _SUFFIX. Interpreters older than 3.8, or without
# their C headers (Debian's python3 without python3-dev), are skipped with a message.
# We query sysconfig ourselves rather than using pybind11's or CMake's FindPython: both bind
# one interpreter per configure.

set(FTRACE_PYTHONS "" CACHE STRING "Extra Python interpreters to build the recorder for (;-list)")
option(FTRACE_FIND_PYTHONS "Build the recorder for every CPython 3.8+ found on this machine" ON)

function(_ftrace_python_candidates out)
  set(found ${FTRACE_PYTHONS})
  if(FTRACE_FIND_PYTHONS)
    find_program(_ftrace_path_python3 python3 NO_CACHE)
    if(_ftrace_path_python3)
      list(APPEND found ${_ftrace_path_python3})
    endif()
    set(pyenv_root "$ENV{PYENV_ROOT}")
    find_program(_ftrace_pyenv pyenv NO_CACHE)
    if(_ftrace_pyenv)
      execute_process(COMMAND ${_ftrace_pyenv} root OUTPUT_VARIABLE pyenv_root
                      OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    endif()
    if(NOT pyenv_root AND IS_DIRECTORY "$ENV{HOME}/.pyenv")
      set(pyenv_root "$ENV{HOME}/.pyenv")  # pyenv installed but not on PATH (e.g. under CI)
    endif()
    if(pyenv_root AND IS_DIRECTORY "${pyenv_root}/versions")
      file(GLOB pyenv_pythons "${pyenv_root}/versions/3.*/bin/python3")
      list(SORT pyenv_pythons COMPARE NATURAL)
      list(APPEND found ${pyenv_pythons})
    endif()
    if(EXISTS /usr/bin/python3)
      list(APPEND found /usr/bin/python3)
    endif()
  endif()
  set(${out} ${found} PARENT_SCOPE)
endfunction()

set(_ftrace_query [=[
import sys, sysconfig, os
inc = sysconfig.get_config_var("INCLUDEPY") or ""
print(";".join([
    "%d.%d.%d" % sys.version_info[:3],
    "%d%d" % sys.version_info[:2],
    sys.implementation.name,
    sys.executable,
    inc,
    sysconfig.get_config_var("EXT_SUFFIX") or "",
    "1" if os.path.isfile(os.path.join(inc, "Python.h")) else "0",
]))
]=])

function(ftrace_find_pythons)
  _ftrace_python_candidates(candidates)
  set(builds)
  foreach(py IN LISTS candidates)
    execute_process(COMMAND ${py} -c "${_ftrace_query}"
                    OUTPUT_VARIABLE info OUTPUT_STRIP_TRAILING_WHITESPACE
                    RESULT_VARIABLE rc ERROR_QUIET)
    if(NOT rc EQUAL 0 OR NOT info)
      message(STATUS "ftrace: skipping ${py}: cannot run it (or it is Python 2)")
      continue()
    endif()
    list(GET info 0 version)
    list(GET info 1 tag)
    list(GET info 2 impl)
    list(GET info 3 exe)
    list(GET info 4 include)
    list(GET info 5 suffix)
    list(GET info 6 has_header)
    if(NOT impl STREQUAL "cpython")
      message(STATUS "ftrace: skipping ${py}: ${impl} is not CPython")
    elseif(version VERSION_LESS 3.8)
      message(STATUS "ftrace: skipping ${py}: Python ${version} is not supported (3.8+)")
    elseif(NOT has_header)
      message(STATUS "ftrace: skipping ${py}: no Python.h in ${include} (install its -dev package)")
    elseif(tag IN_LIST builds)
      # Same minor version as one already taken: one build serves both (same ABI, same suffix).
    else()
      list(APPEND builds ${tag})
      set(FTRACE_PY_${tag}_EXE ${exe} PARENT_SCOPE)
      set(FTRACE_PY_${tag}_VERSION ${version} PARENT_SCOPE)
      set(FTRACE_PY_${tag}_INCLUDE ${include} PARENT_SCOPE)
      set(FTRACE_PY_${tag}_SUFFIX ${suffix} PARENT_SCOPE)
      message(STATUS "ftrace: recorder for Python ${version}: ${exe} -> _ftrace${suffix}")
    endif()
  endforeach()
  if(NOT builds)
    message(FATAL_ERROR "ftrace: no CPython 3.8+ with its headers found: install python3-dev, "
                        "or name interpreters with -DFTRACE_PYTHONS=/path/to/python3.X;...")
  endif()
  list(SORT builds COMPARE NATURAL)
  set(FTRACE_PY_BUILDS ${builds} PARENT_SCOPE)
endfunction()
