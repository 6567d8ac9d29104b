"""The local demo: the page and proxy, a Wazzup sandbox and a sample CRM in one process.

    python -m demo          # then open http://127.0.0.1:8000/

`demo.crm` is the sample CRM on its own; tests build it with `create_crm_app(...)`.
"""
