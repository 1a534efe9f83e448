/* What a C trace function (PyEval_SetTrace) installed for a whole run costs by itself on
 * CPython 3.8-3.11: the only way there to see exceptions raised and caught inside one Python
 * function. It counts PyTrace_EXCEPTION events and does nothing else. Built and driven by
 * measure.py; not part of ftrace. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>

static long long g_exceptions = 0;
static int g_no_lines = 0;

static int trace(PyObject* obj, PyFrameObject* frame, int what, PyObject* arg) {
    (void)obj;
    (void)arg;
#if PY_VERSION_HEX < 0x030B0000
    if (what == PyTrace_CALL && g_no_lines) frame->f_trace_lines = 0;  /* no LINE events */
#else
    (void)frame;
#endif
    if (what == PyTrace_EXCEPTION) ++g_exceptions;
    return 0;
}

static PyObject* start(PyObject* self, PyObject* no_lines) {
    (void)self;
    g_no_lines = PyObject_IsTrue(no_lines);
    PyEval_SetTrace(trace, NULL);
    Py_RETURN_NONE;
}

static PyObject* exceptions(PyObject* self, PyObject* unused) {
    (void)self;
    (void)unused;
    return PyLong_FromLongLong(g_exceptions);
}

static PyMethodDef methods[] = {
    {"start", start, METH_O, "start(no_lines): install the trace function on this thread"},
    {"exceptions", exceptions, METH_NOARGS, "PyTrace_EXCEPTION events seen"},
    {NULL, NULL, 0, NULL},
};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "trace_probe", NULL, -1, methods};
PyMODINIT_FUNC PyInit_trace_probe(void) { return PyModule_Create(&module); }
